if (process.env.SET_ADDR) {
  if (typeof Bun !== 'undefined') {
    const { dlopen, FFIType, ptr } = await import('bun:ffi');
    const lib = dlopen('libc.so.6', { setenv: { args: [FFIType.cstring, FFIType.cstring, FFIType.i32], returns: FFIType.i32 } });
    const c = (s) => ptr(Buffer.from(s + '\0'));
    console.log('setenv', lib.symbols.setenv(c('DBUS_SESSION_BUS_ADDRESS'), c(process.env.SET_ADDR), 1));
  }
  process.env.DBUS_SESSION_BUS_ADDRESS = process.env.SET_ADDR;
}
const { AsyncEntry } = await import('@napi-rs/keyring');
try {
const e = new AsyncEntry('probe-svc', 'acc', { linux: { store: 'secret-service' } });
 await e.setPassword('x'); console.log('OK', await e.getPassword()); await e.deleteCredential(); } catch (err) { console.log('ERR', String(err.message).slice(0, 150)); }

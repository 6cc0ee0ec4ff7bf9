/**
 * What classic `zod` sets up by itself on first use and `zod/mini` leaves to the app: the English messages
 * (without them every message reads "Invalid input") and the memoizer (cycle support in containers). Imported by
 * each module that builds a `zod/mini` schema, before it builds one, so validation behaves and reads exactly as
 * with classic zod ("Invalid input: expected number, received string", "Unrecognized key: …"). Like classic zod,
 * it only fills in what no one has configured.
 */
import { config, memoizer } from 'zod/mini';
import { en } from 'zod/locales';

const current = config();
if (!current.localeError) config(en());
if (!current.memoizer) config({ memoizer: memoizer() });

// Ink imports react-devtools-core only when DEV=true; the single binary never needs it (packaging.md gotcha 2).
export default { initialize() {}, connectToDevTools() {} };

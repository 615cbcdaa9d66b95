/** Environment detection, backend selection and thread configuration: detected once, asked everywhere. */
export * from "./backends";
export * from "./device";
export * from "./environment";
export {
  disabledLibrary,
  libraryPackages,
  librarySonames,
  packageVersion,
  probeLibrary,
  type LibraryProbe,
} from "../native/libraries";
export * from "./limits";
export * from "./threads";
export * from "./paths";
export * from "./python";

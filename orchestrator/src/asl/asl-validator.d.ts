/** asl-validator 4 ships no types: what this project uses of it (tests only). */
declare module 'asl-validator' {
  interface AslValidation {
    readonly isValid: boolean;
    errorsText(separator?: string): string;
  }
  export default function aslValidator(
    definition: unknown,
    options?: { readonly checkPaths?: boolean; readonly checkArn?: boolean },
  ): AslValidation;
}

namespace System.Runtime.CompilerServices;

// Records and init accessors on netstandard2.0, which the compiler host requires for generators.
internal static class IsExternalInit;

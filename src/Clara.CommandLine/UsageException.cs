namespace Clara.CommandLine;

/// <summary>
/// A mistake in how the program was called that the parser cannot see by itself (two options that exclude each
/// other, a value out of range): reported like a parse error, exit <see cref="ExitCodes.Usage"/>.
/// </summary>
public sealed class UsageException(string message) : Exception(message);

namespace Clara.Engine;

/// <summary>
/// The caller's input is wrong — a file, a field, a shape or a value that came from outside — and the message says
/// which. Command-line programs report it as bad input (exit 1); any other exception out of the engine is a bug in
/// the engine, and is reported as one.
/// </summary>
public class InvalidInputException : Exception
{
    public InvalidInputException(string message) : base(message) { }

    public InvalidInputException(string message, Exception inner) : base(message, inner) { }
}

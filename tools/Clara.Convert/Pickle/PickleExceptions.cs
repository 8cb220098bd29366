namespace Clara.Convert.Pickle;

/// <summary>
/// A pickle asked for a Python global outside the tensor-rebuilding allowlist. Loading such a file with
/// torch.load(weights_only=False) would run that global; this reader refuses the whole file instead.
/// </summary>
public sealed class PickleSecurityException : Clara.Engine.InvalidInputException
{
    public PickleSecurityException(string source, string globalName)
        : base($"{source}: refusing to load: the pickle references the Python global '{globalName}', which is not one of " +
               "the tensor-rebuilding globals torch.save emits. A checkpoint never needs it; the file may be malicious. Nothing was executed.")
    {
        GlobalName = globalName;
    }

    /// <summary>"module.name" of the refused global, e.g. "os.system".</summary>
    public string GlobalName { get; }
}

/// <summary>The bytes are not a well-formed pickle of the kind torch.save writes.</summary>
public sealed class PickleFormatException(string message) : Clara.Engine.InvalidInputException(message);

namespace Clara.Engine.Tokenization;

/// <summary>
/// A token matched in text before the model's own tokenization (Hugging Face "added token"). Special ones are
/// skipped when decoding.
/// </summary>
public sealed record AddedToken(string Content, int Id, bool Special);

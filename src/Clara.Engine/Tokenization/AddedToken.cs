namespace Clara.Engine.Tokenization;

/// <summary>
/// A token matched in text before the model's own tokenization (Hugging Face "added token"). Special ones are
/// skipped when decoding. <paramref name="LStrip"/>/<paramref name="RStrip"/>: the match swallows the whitespace
/// on its left/right; <paramref name="SingleWord"/>: it matches only where no word character touches it;
/// <paramref name="Normalized"/>: it is matched in the normalized text (after the tokenizer's normalizer) rather
/// than in the raw text.
/// </summary>
public sealed record AddedToken(string Content, int Id, bool Special,
    bool LStrip = false, bool RStrip = false, bool SingleWord = false, bool Normalized = false);

using System.Runtime.CompilerServices;

namespace Clara.Engine.Graph;

/// <summary>
/// The message of a <see cref="ComputeGraph.Expect(bool, ref ExpectationMessage)"/>, formatted only when the
/// expectation fails. A decoder graph is built for every decode step, and describing each operand of each check
/// eagerly (<c>Value.ToString</c> with its shape) was ~2 % of a small model's step.
/// </summary>
[InterpolatedStringHandler]
internal ref struct ExpectationMessage
{
    private DefaultInterpolatedStringHandler _text;

    public ExpectationMessage(int literalLength, int formattedCount, bool condition, out bool shouldAppend)
    {
        shouldAppend = !condition;
        _text = shouldAppend ? new DefaultInterpolatedStringHandler(literalLength, formattedCount) : default;
    }

    public void AppendLiteral(string value) => _text.AppendLiteral(value);

    public void AppendFormatted<T>(T value) => _text.AppendFormatted(value);

    public void AppendFormatted<T>(T value, string? format) => _text.AppendFormatted(value, format);

    public string ToStringAndClear() => _text.ToStringAndClear();
}

using NUnit.Framework;

namespace Clara.Engine.Tests.Support;

/// <summary>
/// Error measure used across the suite: max |actual − expected| divided by max |expected| over the compared
/// entries (relative to the tensor's scale, so values near zero do not dominate).
/// </summary>
public static class Compare
{
    public static double MaxRelativeError(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, Func<int, bool>? include = null)
    {
        if (actual.Length != expected.Length) throw new ArgumentException($"lengths differ: {actual.Length} vs {expected.Length}");
        double maxDiff = 0, maxRef = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            if (include is not null && !include(i)) continue;
            if (float.IsNaN(actual[i])) return double.PositiveInfinity;
            maxDiff = Math.Max(maxDiff, Math.Abs((double)actual[i] - expected[i]));
            maxRef = Math.Max(maxRef, Math.Abs((double)expected[i]));
        }
        return maxRef == 0 ? maxDiff : maxDiff / maxRef;
    }

    /// <summary>
    /// The element-wise check, for tensors whose small entries matter (per-document losses, scores near zero, gradients
    /// of padded rows): every compared |actual − expected| ≤ <paramref name="relative"/>·|expected| +
    /// <paramref name="ofMax"/>·max|expected|, so an error in a small entry is not hidden by the largest one. Returns
    /// the worst entry's share of what it is allowed (≤ 1 passes), and its index.
    /// </summary>
    public static (double Share, int Index) WorstElementwiseShare(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, double relative, double ofMax,
        Func<int, bool>? include = null)
    {
        if (actual.Length != expected.Length) throw new ArgumentException($"lengths differ: {actual.Length} vs {expected.Length}");
        double max = 0;
        foreach (var e in expected) max = Math.Max(max, Math.Abs(e));
        (double Share, int Index) worst = (0, -1);
        for (int i = 0; i < actual.Length; i++)
        {
            if (include is not null && !include(i)) continue;
            if (float.IsNaN(actual[i])) return (double.PositiveInfinity, i);
            double allowed = relative * Math.Abs(expected[i]) + ofMax * max;
            double diff = Math.Abs((double)actual[i] - expected[i]);
            double share = allowed > 0 ? diff / allowed : diff > 0 ? double.PositiveInfinity : 0;
            if (share > worst.Share) worst = (share, i);
        }
        return worst;
    }

    public static void AssertElementwiseClose(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, double relative, double ofMax, string what,
        Func<int, bool>? include = null)
    {
        var (share, i) = WorstElementwiseShare(actual, expected, relative, ofMax, include);
        TestContext.Out.WriteLine($"{what}: worst entry uses {share:P1} of its element-wise allowance ({relative:E0}·|e| + {ofMax:E0}·max|e|)");
        Assert.That(share, Is.LessThanOrEqualTo(1.0),
            $"{what}[{i}]: {(i >= 0 ? actual[i] : 0)} vs {(i >= 0 ? expected[i] : 0)}, outside {relative:E0}·|e| + {ofMax:E0}·max|e|");
    }

    public static double AssertClose(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, double tolerance, string what, Func<int, bool>? include = null)
    {
        double err = MaxRelativeError(actual, expected, include);
        TestContext.Out.WriteLine($"{what}: max rel error {err:E2} (tolerance {tolerance:E0})");
        Assert.That(err, Is.LessThanOrEqualTo(tolerance), $"{what}: max relative error {err:E3} exceeds {tolerance:E1}");
        return err;
    }
}

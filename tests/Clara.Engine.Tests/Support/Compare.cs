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
    /// Max over entries of |actual − expected| / max(|expected|, <paramref name="floor"/>): each entry against its own
    /// size, so an error in a small entry (a small per-document loss, a score near zero) is not hidden by the largest
    /// one. Entries smaller than the floor are judged against the floor (their relative error means nothing at fp32).
    /// </summary>
    public static (double Error, int Index) MaxElementwiseRelativeError(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, double floor)
    {
        if (actual.Length != expected.Length) throw new ArgumentException($"lengths differ: {actual.Length} vs {expected.Length}");
        (double Error, int Index) worst = (0, -1);
        for (int i = 0; i < actual.Length; i++)
        {
            if (float.IsNaN(actual[i])) return (double.PositiveInfinity, i);
            double err = Math.Abs((double)actual[i] - expected[i]) / Math.Max(Math.Abs((double)expected[i]), floor);
            if (err > worst.Error) worst = (err, i);
        }
        return worst;
    }

    public static double AssertElementwiseClose(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, double tolerance, double floor, string what)
    {
        var (err, i) = MaxElementwiseRelativeError(actual, expected, floor);
        TestContext.Out.WriteLine($"{what}: max element-wise rel error {err:E2} (tolerance {tolerance:E0}, floor {floor:E0})");
        Assert.That(err, Is.LessThanOrEqualTo(tolerance),
            $"{what}: entry {i} is {(i >= 0 ? actual[i] : 0)}, expected {(i >= 0 ? expected[i] : 0)}: element-wise relative error {err:E3} exceeds {tolerance:E1}");
        return err;
    }

    public static double AssertClose(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, double tolerance, string what, Func<int, bool>? include = null)
    {
        double err = MaxRelativeError(actual, expected, include);
        TestContext.Out.WriteLine($"{what}: max rel error {err:E2} (tolerance {tolerance:E0})");
        Assert.That(err, Is.LessThanOrEqualTo(tolerance), $"{what}: max relative error {err:E3} exceeds {tolerance:E1}");
        return err;
    }
}

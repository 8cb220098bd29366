using NUnit.Framework;

namespace Clara.Engine.Tests.Support;

/// <summary>
/// The second witness for backward kernels: central differences of a scalar loss, compared with the analytic gradient
/// along a few seeded random directions (one directional derivative per direction, so a whole gradient is checked
/// in two loss evaluations per direction, and an fp32 forward still gives several correct digits).
/// </summary>
public static class FiniteDifference
{
    /// <summary>(loss(x + h·v) − loss(x − h·v)) / (x₊ − x₋ along v), with the perturbation as actually rounded to fp32.</summary>
    public static double Directional(Func<float[], double> loss, float[] x, float[] direction, double step)
    {
        var plus = new float[x.Length];
        var minus = new float[x.Length];
        double travelled = 0, norm = 0;
        for (int i = 0; i < x.Length; i++)
        {
            plus[i] = (float)(x[i] + step * direction[i]);
            minus[i] = (float)(x[i] - step * direction[i]);
            travelled += ((double)plus[i] - minus[i]) * direction[i];
            norm += (double)direction[i] * direction[i];
        }
        // The rounded points lie (almost) on the line; measure the distance moved along v in units of ‖v‖².
        return (loss(plus) - loss(minus)) / (travelled / norm);
    }

    /// <summary>Asserts ⟨gradient, v⟩ ≈ the central difference along <paramref name="directions"/> random unit-scale directions.</summary>
    public static void AssertMatches(Func<float[], double> loss, float[] x, float[] gradient, string what,
        int directions = 3, double step = 1e-3, double tolerance = 1e-3, int seed = 1234)
    {
        var random = new Random(seed);
        for (int d = 0; d < directions; d++)
        {
            var v = new float[x.Length];
            for (int i = 0; i < v.Length; i++) v[i] = (float)(random.NextDouble() * 2 - 1);
            double analytic = 0, scale = 0;
            for (int i = 0; i < v.Length; i++)
            {
                analytic += (double)gradient[i] * v[i];
                scale += Math.Abs((double)gradient[i] * v[i]);
            }
            double numeric = Directional(loss, x, v, step);
            // Relative to Σ|g_i v_i|, so a directional derivative that cancels to near zero is not judged by its own size.
            double error = Math.Abs(analytic - numeric) / Math.Max(scale, 1e-30);
            TestContext.Out.WriteLine($"{what}: direction {d}: analytic {analytic:G9}, numeric {numeric:G9}, error {error:E2}");
            Assert.That(error, Is.LessThanOrEqualTo(tolerance), $"{what}: direction {d}: analytic {analytic} vs finite difference {numeric}");
        }
    }

    /// <summary>Σ weights ⊙ values in double: the scalar loss whose gradient with respect to values is weights.</summary>
    public static double Dot(ReadOnlySpan<float> values, ReadOnlySpan<float> weights)
    {
        double sum = 0;
        for (int i = 0; i < values.Length; i++) sum += (double)values[i] * weights[i];
        return sum;
    }
}

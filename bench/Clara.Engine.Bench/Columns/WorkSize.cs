namespace Clara.Engine.Bench.Columns;

/// <summary>What one benchmark invocation does, in the units the throughput columns divide by its mean time. Zero = not meaningful.</summary>
public sealed record WorkSize(double Flops = 0, double Bytes = 0, double Tokens = 0, double Documents = 0);

/// <summary>A benchmark parameter that knows the work one invocation does (the columns find it among the case's parameters).</summary>
public interface IHasWorkSize
{
    WorkSize Work { get; }
}

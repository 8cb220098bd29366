using System.Net;

namespace Clara.Server;

/// <summary>Where <c>clara serve</c> listens and the limits it puts on each request.</summary>
public sealed record ClaraServerOptions
{
    /// <summary>The address to listen on; loopback by default, so nothing outside the machine reaches it unless asked.</summary>
    public IPAddress Host { get; init; } = IPAddress.Loopback;

    /// <summary>0 picks a free port (tests); <see cref="ClaraServer.Address"/> tells which.</summary>
    public int Port { get; init; } = 8080;

    /// <summary>A larger request body is answered 413 before it is read whole.</summary>
    public long MaxRequestBodyBytes { get; init; } = 1 << 20;

    /// <summary>The largest max_tokens a request may ask for (400 above it); also the default is the smaller of this and 128.</summary>
    public int MaxTokens { get; init; } = 512;

    /// <summary>Texts one embeddings request may hold.</summary>
    public int MaxEmbeddingInputs { get; init; } = 64;

    /// <summary>A request still running after this long is cancelled and answered 504 (or ended with an error event when streaming).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Documents put in the answer's prompt; clara.json's top_k when null.</summary>
    public int? TopK { get; init; }

    /// <summary>The model name the server reports (requests may name any model: the server serves one).</summary>
    public string ModelName { get; init; } = "clara";

    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Port, 0, nameof(Port));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Port, 65535, nameof(Port));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRequestBodyBytes, 1, nameof(MaxRequestBodyBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxTokens, 1, nameof(MaxTokens));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxEmbeddingInputs, 1, nameof(MaxEmbeddingInputs));
        if (RequestTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(RequestTimeout), "the request timeout must be positive");
        if (TopK is <= 0) throw new ArgumentOutOfRangeException(nameof(TopK), "top-k must be positive");
        ArgumentException.ThrowIfNullOrEmpty(ModelName);
    }
}

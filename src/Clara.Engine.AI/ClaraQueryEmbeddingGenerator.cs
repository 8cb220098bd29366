using Clara.Engine.Pipeline;
using Microsoft.Extensions.AI;

namespace Clara.Engine.AI;

/// <summary>
/// The query reasoner as an <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>: each text becomes its flattened
/// n_mem·hidden query vector, in the same space as the compressed documents (cosine similarity ranks them), so a
/// vector database can serve as CLaRa's first-stage retriever.
/// </summary>
/// <remarks>Safe to share: concurrent calls give the vectors they give alone (the model is shared safely).</remarks>
public sealed class ClaraQueryEmbeddingGenerator(ClaraModel model) : IEmbeddingGenerator<string, Embedding<float>>
{
    /// <summary>The texts' query vectors, in order; they are encoded together (one batched forward when they fit).</summary>
    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var questions = values.Select(model.Encode).ToList();
        var vectors = await Task.WhenAll(questions.Select(q => model.EncodeQueryAsync(q, cancellationToken))).ConfigureAwait(false);
        return [.. vectors.Select(v => new Embedding<float>(v) { ModelId = model.Decoder.Source })];
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType.IsInstanceOfType(this) ? this
        : serviceType.IsInstanceOfType(model) ? model
        : serviceType == typeof(EmbeddingGeneratorMetadata)
            ? new EmbeddingGeneratorMetadata("clara.engine", defaultModelId: model.Decoder.Source, defaultModelDimensions: model.Config.MemoryTokens * model.Decoder.Config.HiddenSize)
            : null;

    public void Dispose()
    {
        // The model belongs to the caller.
    }
}

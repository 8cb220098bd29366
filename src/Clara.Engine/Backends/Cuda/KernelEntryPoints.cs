namespace Clara.Engine.Backends.Cuda;

/// <summary>
/// Every extern "C" kernel of every kernels/*.cu file, by file. Launches are checked against this list
/// (so a misspelt entry point fails with a clear message), and the compile tests check that it matches
/// the entry points NVRTC actually emits — a kernel added or renamed in a .cu file must be listed here.
/// </summary>
internal static class KernelEntryPoints
{
    private static string[] PerStorage(string stem) => [stem + "_f32", stem + "_bf16", stem + "_f16"];

    public static IReadOnlyDictionary<string, IReadOnlyList<string>> ByFile { get; } = new Dictionary<string, IReadOnlyList<string>>
    {
        ["adamw.cu"] = ["clara_adamw"],
        ["attention.cu"] = ["clara_attention", "clara_write_cache"],
        ["attention_training.cu"] = ["clara_sequence_attention_forward", "clara_sequence_attention_backward_delta",
            "clara_sequence_attention_backward_kv", "clara_sequence_attention_backward_q"],
        ["cast.cu"] = ["clara_cast_f32_bf16", "clara_cast_f32_f16", "clara_cast_bf16_f32", "clara_cast_f16_f32", "clara_cast_bf16_f16", "clara_cast_f16_bf16"],
        ["cosine_rerank.cu"] = [.. PerStorage("clara_cosine_partials"), "clara_cosine_finalize", "clara_cosine_backward_coefficients",
            .. PerStorage("clara_cosine_backward_query"), "clara_cosine_backward_candidate_coefficients", "clara_cosine_backward_candidates"],
        ["elementwise.cu"] = ["clara_add", "clara_add_scaled", "clara_fill"],
        ["embedding.cu"] = PerStorage("clara_embedding"),
        ["q8_gemv.cu"] = ["clara_q8_gemv"],
        ["memory_tokens.cu"] = ["clara_gather_rows", "clara_scatter_rows", "clara_scatter_add_rows", "clara_memory_means", "clara_memory_mse",
            "clara_memory_mse_backward"],
        ["reduction.cu"] = ["clara_sum_partials", "clara_sum_finish"],
        ["rmsnorm.cu"] = [.. PerStorage("clara_rmsnorm"), .. PerStorage("clara_rmsnorm_backward_stats"), "clara_rmsnorm_weight_grad_partials",
            "clara_rmsnorm_weight_grad_finish", .. PerStorage("clara_rmsnorm_backward_input")],
        ["rope.cu"] = ["clara_rope", "clara_rope_backward"],
        ["softmax_xent.cu"] = ["clara_log_softmax", "clara_cross_entropy_forward", "clara_cross_entropy_backward"],
        ["swiglu.cu"] = ["clara_swiglu", "clara_swiglu_backward"],
        ["topk_straight_through.cu"] = ["clara_topk_st_forward", "clara_topk_st_backward"],
    };

    public static void Require(string fileName, string entryPoint)
    {
        if (!ByFile.TryGetValue(fileName, out var entries) || !entries.Contains(entryPoint))
            throw new InvalidOperationException($"kernel {entryPoint} of {fileName} is not a known entry point (see KernelEntryPoints)");
    }
}

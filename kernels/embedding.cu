// embedding.cu — token embedding lookup: output[i, :] = float(table[ids[i], :]).
//
// Layout: ids I32 [n]; table [vocab, hidden] in F32, BF16 or F16 (one entry point per storage type);
//         output F32 [n, hidden], row-major.
// Launch: grid.x = n (one block per token), block = 256 threads striding over hidden.
// An id outside [0, vocab) never reads the table: its row becomes NaN and the fault flag
// CLARA_FAULT_INDEX_OUT_OF_RANGE is raised for the host to report.
#include "clara_prelude.cuh"

template <typename T>
__device__ void embedding(const int* ids, const T* table, float* output, int hidden, int vocab, unsigned int* faults)
{
    const long long row = blockIdx.x;
    gather_row_checked(table, ids[row], vocab, hidden, output + row * hidden, faults);
}

extern "C" __global__ void clara_embedding_f32(const int* ids, const float* table, float* output, int hidden, int vocab, unsigned int* faults)
{ embedding(ids, table, output, hidden, vocab, faults); }

extern "C" __global__ void clara_embedding_bf16(const int* ids, const bf16* table, float* output, int hidden, int vocab, unsigned int* faults)
{ embedding(ids, table, output, hidden, vocab, faults); }

extern "C" __global__ void clara_embedding_f16(const int* ids, const f16* table, float* output, int hidden, int vocab, unsigned int* faults)
{ embedding(ids, table, output, hidden, vocab, faults); }

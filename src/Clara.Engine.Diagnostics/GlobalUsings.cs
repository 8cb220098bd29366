// The checks compare backends, so they speak the backends' own types throughout.
global using Clara.Engine.Backends;
global using Clara.Engine.Backends.Cpu;
global using Clara.Engine.Backends.Cuda;
// System.Numerics.Tensors also defines a Tensor type; here "Tensor" always means the engine's.
global using Tensor = Clara.Engine.Tensors.Tensor;

// System.Numerics.Tensors also defines a Tensor type; inside the engine "Tensor" always means ours.
global using Tensor = Clara.Engine.Tensors.Tensor;

return Clara.Engine.Bench.BenchProgram.Run(args);

return Clara.Corpus.CorpusCommandLine.Run(args, Console.Out, Console.Error);

return Clara.Cli.ClaraCommandLine.Run(args);

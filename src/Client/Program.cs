using Hpf.Cluster.Client;

return await CliApp.RunAsync(args, CliOutput.ForProcess(), handleCtrlC: true);

using Perf.Invoker.Host;

return await InvokerCommand.RunAsync(args);

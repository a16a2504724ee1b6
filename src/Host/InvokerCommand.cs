using System.Reflection;
using Perf.Invoker.Host.Standalone;

namespace Perf.Invoker.Host;

/// <summary>The command line: <c>invoker [standalone] [settings]</c>, <c>invoker serve …</c>, <c>invoker --version</c>, <c>invoker --help</c>.</summary>
internal static class InvokerCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args is ["serve", .. var serveArgs])
        {
            if (serveArgs is ["--help"] or ["-h"])
            {
                Console.WriteLine(ServeSettings.Help);
                return 0;
            }

            if (ServeSettings.Parse(serveArgs, out string? error) is not { } settings)
            {
                Console.Error.WriteLine($"invoker serve: {error}. Run 'invoker serve --help'.");
                return 2;
            }

            return await ServeCommand.RunAsync(settings);
        }

        if (args is ["--version"])
        {
            Console.WriteLine(Version);
            return 0;
        }

        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.WriteLine(Help);
            return 0;
        }

        string[] standaloneArgs = args is ["standalone", .. var rest] ? rest : args;
        if (StandaloneSettings.Parse(standaloneArgs, out string? problem) is not { } standalone)
        {
            Console.Error.WriteLine($"invoker: {problem}. Run 'invoker --help'.");
            return 2;
        }

        return await StandaloneCommand.RunAsync(standalone);
    }

    private static string Version =>
        typeof(InvokerCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    private static string Help => $"""
        {StandaloneSettings.Help}

        usage: invoker serve --kafka HOST:PORT [settings]   a drop-in invoker of an OpenWhisk cluster (invoker serve --help)
               invoker --version                            print the version and exit
        """;
}

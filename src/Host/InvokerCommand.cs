using System.Reflection;
using Perf.Invoker.Host.Engine;
using Perf.Invoker.Host.Serve;
using Perf.Invoker.Host.Standalone;

namespace Perf.Invoker.Host;

/// <summary>The command line: <c>invoker [standalone] [settings]</c>, <c>invoker serve …</c>, <c>invoker --version</c>, <c>invoker --help</c>.</summary>
internal static class InvokerCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args is ["serve", .. var serveArgs])
        {
            if (serveArgs.Contains("--help") || serveArgs.Contains("-h"))
            {
                Console.WriteLine(ServeSettings.Help);
                return 0;
            }

            return await StartAsync("invoker serve", "invoker serve --help", () => ServeSettings.Parse(serveArgs), ServeCommand.RunAsync);
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
        return await StartAsync("invoker", "invoker --help", () => StandaloneSettings.Parse(standaloneArgs), StandaloneCommand.RunAsync, running: "invoker standalone");
    }

    /// <summary>
    /// Parses, then runs a mode. A start that fails (<see cref="StartupException"/>) is one line and exit code 2: a
    /// setting's under <paramref name="command"/> with a pointer to the help, the rest under <paramref name="running"/>.
    /// </summary>
    private static async Task<int> StartAsync<TSettings>(string command, string help, Func<TSettings> parse, Func<TSettings, Task<int>> run, string? running = null)
    {
        TSettings settings;
        try
        {
            settings = parse();
        }
        catch (StartupException e)
        {
            Console.Error.WriteLine($"{command}: {e.Message}. Run '{help}'.");
            return 2;
        }

        try
        {
            return await run(settings);
        }
        catch (StartupException e)
        {
            Console.Error.WriteLine($"{running ?? command}: {e.Message}");
            return 2;
        }
    }

    private static string Version =>
        typeof(InvokerCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    private static string Help => $"""
        {StandaloneSettings.Help}

        usage: invoker serve --kafka HOST:PORT [settings]   a drop-in invoker of an OpenWhisk cluster (invoker serve --help)
               invoker --version                            print the version and exit
        """;
}

using System.Reflection;

namespace Perf.Invoker.Host;

/// <summary>The command line: <c>invoker [standalone] [--urls URL]</c>, <c>invoker --version</c>, <c>invoker --help</c>.</summary>
internal static class InvokerCommand
{
    private const string DefaultUrl = "http://127.0.0.1:3233";

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

        string url = Environment.GetEnvironmentVariable("INVOKER_URL") ?? DefaultUrl;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--version":
                    Console.WriteLine(Version);
                    return 0;
                case "--help" or "-h":
                    Console.WriteLine(Help);
                    return 0;
                case "standalone":
                    break;
                case "--url" when i + 1 < args.Length:
                    url = args[++i];
                    break;
                default:
                    Console.Error.WriteLine($"invoker: unknown argument '{args[i]}'. Run 'invoker --help'.");
                    return 2;
            }
        }

        await using var app = AdminEndpoints.Build(url);
        await app.StartAsync();
        Console.WriteLine($"invoker {Version} listening on {url} (GET /ping)");
        await app.WaitForShutdownAsync();
        return 0;
    }

    private static string Version =>
        typeof(InvokerCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    private const string Help = """
        usage: invoker [standalone] [--url URL]
               invoker serve --kafka HOST:PORT [settings]   (see invoker serve --help)
               invoker --version

          standalone      run on the embedded defaults (the default command)
          --url URL       where to listen (default http://127.0.0.1:3233, env INVOKER_URL)
          --version       print the version and exit
        """;
}

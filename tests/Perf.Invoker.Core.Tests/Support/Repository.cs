namespace Perf.Invoker.Tests.Support;

/// <summary>Paths in the repository, found from the test binaries upwards.</summary>
internal static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string NodeRuntime => Path.Combine(Root, "runtimes", "nodejs");

    private static string FindRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "Perf.Invoker.sln")))
            {
                return dir;
            }
        }

        throw new InvalidOperationException("Perf.Invoker.sln not found above " + AppContext.BaseDirectory);
    }
}

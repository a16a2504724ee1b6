using System.Reflection;

namespace Perf.Invoker.Tests.Support;

/// <summary>
/// Every test class carries exactly one <c>[Trait("Category", …)]</c>, on the class, from the four of the README, so
/// that <c>dotnet test --filter Category=Unit</c> (and test.sh's Debug pass) leave out no test by accident and pull in
/// no slow one. Compiled into each test project (Perf.Invoker.Generators.Tests links this file).
/// </summary>
[Trait("Category", "Unit")]
public sealed class CategoryTests
{
    /// <summary>
    /// Unit: in memory, or loopback servers inside the test process (Kestrel, sockets, SQLite files). Process: real
    /// runtime child processes, or the invoker executable. Kafka: the mock broker. Docker: a dockerd. Image: the invoker's
    /// image, built by test.sh's image step, which alone runs them (PERF_INVOKER_IMAGE). A class that needs
    /// several takes the last that applies.
    /// </summary>
    private static readonly string[] s_categories = ["Unit", "Process", "Kafka", "Docker", "Image"];

    [Fact]
    public void Every_test_class_has_exactly_one_known_category_and_no_test_method_has_its_own()
    {
        var problems = new List<string>();
        int classes = 0;
        foreach (Type type in typeof(CategoryTests).Assembly.GetTypes())
        {
            MethodInfo[] tests = [.. type
                .GetMethods(BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic)
                .Where(m => m.IsDefined(typeof(FactAttribute), inherit: true))];
            if (tests.Length == 0 || type.IsAbstract)
            {
                continue;
            }

            classes++;
            string[] categories = Categories(type.GetCustomAttributesData());
            if (categories.Length != 1 || !s_categories.Contains(categories[0]))
            {
                problems.Add($"{type.FullName}: [{string.Join(", ", categories)}]");
            }

            problems.AddRange(tests.Where(m => Categories(m.GetCustomAttributesData()).Length > 0).Select(m => $"{type.FullName}.{m.Name}: a category of its own"));
        }

        Assert.True(classes > 0, "no test class found");
        Assert.True(problems.Count == 0, $"test classes need exactly one of [Trait(\"Category\", {string.Join("|", s_categories)})]:\n{string.Join("\n", problems)}");
    }

    private static string[] Categories(IEnumerable<CustomAttributeData> attributes) =>
        [.. attributes
            .Where(a => a.AttributeType == typeof(TraitAttribute) && (string?)a.ConstructorArguments[0].Value == "Category")
            .Select(a => (string?)a.ConstructorArguments[1].Value ?? "")];
}

using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Perf.Invoker.Generators.Tests;

[Trait("Category", "Unit")]
public sealed class JsonModelGeneratorTests
{
    private const string Widget = """
        using Perf.Invoker.Json;

        namespace Sample;

        [JsonModel]
        public sealed partial class Widget
        {
            [JsonIntern]
            public required string Name { get; init; }

            public int? Size { get; init; }

            [JsonMember("is_on")]
            public bool IsOn { get; init; }

            public long[] Counts { get; init; } = [];

            public RawJson? Extra { get; init; }

            public Part? Part { get; init; }

            public string Computed => Name + "!";
        }

        [JsonModel]
        public readonly partial record struct Part
        {
            public double? Weight { get; init; }

            public Part[]? Children { get; init; }
        }
        """;

    [Fact]
    public void Generator_ForAModel_EmitsTheGoldenReaderAndWriter()
    {
        var (_, diagnostics, result) = GeneratorHarness.Run(Widget);

        Assert.Empty(diagnostics);
        foreach (GeneratedSourceResult source in result.Results.Single().GeneratedSources)
        {
            string golden = Path.Combine(AppContext.BaseDirectory, "Golden", source.HintName);
            string actual = source.SourceText.ToString();
            if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1")
            {
                File.WriteAllText(Path.Combine(GoldenSourceFolder(), source.HintName), actual);
                continue;
            }

            Assert.True(File.Exists(golden), $"missing golden file {source.HintName}; run with UPDATE_GOLDEN=1");
            Assert.Equal(File.ReadAllText(golden).ReplaceLineEndings("\n"), actual.ReplaceLineEndings("\n"));
        }

        Assert.Equal(["Sample.Part.g.cs", "Sample.Widget.g.cs"], result.Results.Single().GeneratedSources.Select(s => s.HintName).Order());
    }

    [Fact]
    public void GeneratedCode_Compiles_WithoutWarnings()
    {
        var (output, _, _) = GeneratorHarness.Run(Widget);

        ImmutableArray<Diagnostic> problems = [.. output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning)];

        Assert.Empty(problems);
    }

    [Fact]
    public void UnrelatedEdit_ReusesTheCachedModels()
    {
        CSharpCompilation first = GeneratorHarness.Compile(Widget, "class Other { }");
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(first);

        CSharpCompilation second = first.ReplaceSyntaxTree(
            first.SyntaxTrees.Last(),
            CSharpSyntaxTree.ParseText("class Other { int _x; }", GeneratorHarness.ParseOptions, path: "Source1.cs"));
        driver = driver.RunGenerators(second);

        GeneratorRunResult run = driver.GetRunResult().Results.Single();
        var outputs = run.TrackedSteps[Perf.Invoker.Generators.TrackingNames.Parse].SelectMany(step => step.Outputs).ToList();
        Assert.NotEmpty(outputs);
        Assert.All(outputs, output => Assert.True(
            output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
            $"parse step re-ran: {output.Reason}"));
        Assert.All(run.TrackedOutputSteps.SelectMany(step => step.Value).SelectMany(step => step.Outputs),
            output => Assert.Equal(IncrementalStepRunReason.Cached, output.Reason));
    }

    [Fact]
    public void EditToAModel_RegeneratesIt()
    {
        CSharpCompilation first = GeneratorHarness.Compile(Widget);
        GeneratorDriver driver = GeneratorHarness.CreateDriver().RunGenerators(first);

        CSharpCompilation second = first.ReplaceSyntaxTree(
            first.SyntaxTrees.Single(),
            CSharpSyntaxTree.ParseText(Widget.Replace("public int? Size", "public long? Size"), GeneratorHarness.ParseOptions, path: "Source0.cs"));
        driver = driver.RunGenerators(second);

        var reasons = driver.GetRunResult().Results.Single().TrackedSteps[Perf.Invoker.Generators.TrackingNames.Parse]
            .SelectMany(step => step.Outputs).Select(output => output.Reason).ToList();
        Assert.Contains(IncrementalStepRunReason.Modified, reasons);
    }

    [Theory]
    [InlineData("public System.Collections.Generic.Dictionary<string, string> Map { get; init; } = new();", "PIJ001", "Map")]
    [InlineData("public System.DateTime When { get; init; }", "PIJ001", "When")]
    [InlineData("public int?[] Holes { get; init; } = [];", "PIJ001", "Holes")]
    [InlineData("public object Anything { get; init; } = new();", "PIJ001", "Anything")]
    public void UnsupportedMemberType_IsACompileTimeError_NamingTheMember(string member, string id, string name)
    {
        string source = $$"""
            using Perf.Invoker.Json;
            [JsonModel]
            public sealed partial class Bad
            {
                {{member}}
            }
            """;

        var (_, diagnostics, result) = GeneratorHarness.Run(source);

        Diagnostic diagnostic = Assert.Single(diagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Contains($"'{name}'", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("Source0.cs", diagnostic.Location.GetLineSpan().Path);
        Assert.Empty(result.Results.Single().GeneratedSources);
    }

    [Fact]
    public void NonPartialModel_IsACompileTimeError()
    {
        var (_, diagnostics, _) = GeneratorHarness.Run("using Perf.Invoker.Json; [JsonModel] public sealed class Whole { public int A { get; init; } }");

        Assert.Equal("PIJ002", Assert.Single(diagnostics).Id);
    }

    [Fact]
    public void NestedModel_IsACompileTimeError()
    {
        var (_, diagnostics, _) = GeneratorHarness.Run("using Perf.Invoker.Json; public partial class Outer { [JsonModel] public sealed partial class Inner { public int A { get; init; } } }");

        Assert.Equal("PIJ003", Assert.Single(diagnostics).Id);
    }

    [Fact]
    public void ModelWithMoreThanSixtyFourMembers_IsACompileTimeError()
    {
        string members = string.Join("\n", Enumerable.Range(0, 65).Select(i => $"public int M{i} {{ get; init; }}"));
        var (_, diagnostics, _) = GeneratorHarness.Run($"using Perf.Invoker.Json; [JsonModel] public sealed partial class Wide {{ {members} }}");

        Assert.Equal("PIJ004", Assert.Single(diagnostics).Id);
    }

    private static string GoldenSourceFolder([System.Runtime.CompilerServices.CallerFilePath] string path = "") =>
        Path.Combine(Path.GetDirectoryName(path)!, "Golden");
}

using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Perf.Invoker.Generators;

/// <summary>
/// Emits a zero-allocation JSON writer and a span-based reader for every type marked
/// <c>[Perf.Invoker.Json.JsonModel]</c>. Parsing (symbols to equatable specs) and emitting (specs to
/// text) are separate steps so that the incremental pipeline caches on the specs.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class JsonModelGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<ParseResult> results = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                Parser.ModelAttribute,
                static (node, _) => node is TypeDeclarationSyntax,
                Parser.Parse)
            .WithTrackingName(TrackingNames.Parse);

        context.RegisterSourceOutput(results, static (spc, result) =>
        {
            foreach (DiagnosticInfo diagnostic in result.Diagnostics)
            {
                spc.ReportDiagnostic(diagnostic.ToDiagnostic());
            }

            if (result.Model is { } model)
            {
                spc.AddSource(model.FileName + ".g.cs", Emitter.Emit(model));
            }
        });
    }
}

/// <summary>Step names the incremental-caching tests look up.</summary>
public static class TrackingNames
{
    public const string Parse = nameof(Parse);
}

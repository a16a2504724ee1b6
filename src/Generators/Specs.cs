using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Perf.Invoker.Generators;

/// <summary>How a member's value is read and written.</summary>
internal enum ValueKind
{
    String,
    Boolean,
    Int32,
    Int64,
    Double,

    /// <summary>A type with static ReadJson / instance WriteJson: IJsonValue implementers and other [JsonModel] types.</summary>
    JsonValue,
}

/// <summary>One JSON member of a model, everything the emitter needs and nothing from the compilation.</summary>
internal sealed record MemberSpec(
    string PropertyName,
    string JsonName,
    ValueKind Kind,
    string TypeName,
    bool IsArray,
    bool IsRequired,
    bool IsOptional,
    bool IsNullableValueType,
    bool Intern,
    bool IsReferenceType);

/// <summary>One [JsonModel] type to generate.</summary>
internal sealed record ModelSpec(
    string? Namespace,
    string TypeName,
    string Keyword,
    string FileName,
    EquatableArray<MemberSpec> Members);

/// <summary>A diagnostic kept as plain values (no Location or symbols), so that it caches across compilations.</summary>
internal sealed record DiagnosticInfo(string Id, string FilePath, TextSpan Span, LinePositionSpan LineSpan, string Argument0, string Argument1)
{
    public Diagnostic ToDiagnostic()
    {
        DiagnosticDescriptor descriptor = Id switch
        {
            Diagnostics.UnsupportedMemberTypeId => Diagnostics.UnsupportedMemberType,
            Diagnostics.NotPartialId => Diagnostics.NotPartial,
            Diagnostics.NestedTypeId => Diagnostics.NestedType,
            _ => Diagnostics.TooManyMembers,
        };
        return Diagnostic.Create(descriptor, Location.Create(FilePath, Span, LineSpan), Argument0, Argument1);
    }

    public static DiagnosticInfo Create(string id, Location location, string argument0, string argument1 = "")
    {
        FileLinePositionSpan line = location.GetLineSpan();
        return new DiagnosticInfo(id, line.Path, location.SourceSpan, line.Span, argument0, argument1);
    }
}

/// <summary>The parser's result for one attributed type: a model to emit, diagnostics, or both.</summary>
internal sealed record ParseResult(ModelSpec? Model, EquatableArray<DiagnosticInfo> Diagnostics);

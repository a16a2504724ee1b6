using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Perf.Invoker.Generators;

/// <summary>
/// Turns one [JsonModel] type into a <see cref="ModelSpec"/>: plain, equatable values only, so that
/// the emitter never sees a symbol and the pipeline caches between edits that do not touch models.
/// </summary>
internal static class Parser
{
    public const string ModelAttribute = "Perf.Invoker.Json.JsonModelAttribute";
    private const string MemberAttribute = "Perf.Invoker.Json.JsonMemberAttribute";
    private const string InternAttribute = "Perf.Invoker.Json.JsonInternAttribute";

    // A 64-bit mask tracks which members were seen while reading.
    private const int MaxMembers = 64;

    public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var syntax = (TypeDeclarationSyntax)context.TargetNode;
        var diagnostics = ImmutableArray.CreateBuilder<DiagnosticInfo>();

        if (!syntax.Modifiers.Any(SyntaxKind.PartialKeyword))
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NotPartialId, syntax.Identifier.GetLocation(), type.Name));
        }

        if (type.ContainingType is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.NestedTypeId, syntax.Identifier.GetLocation(), type.Name));
        }

        var members = ImmutableArray.CreateBuilder<MemberSpec>();
        foreach (ISymbol symbol in type.GetMembers())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (symbol is not IPropertySymbol { DeclaredAccessibility: Accessibility.Public, IsStatic: false, IsIndexer: false, SetMethod: not null } property)
            {
                continue;
            }

            MemberSpec? member = ParseMember(property);
            if (member is null)
            {
                Location location = property.Locations.FirstOrDefault() ?? syntax.Identifier.GetLocation();
                diagnostics.Add(DiagnosticInfo.Create(Diagnostics.UnsupportedMemberTypeId, location, property.Name, property.Type.ToDisplayString()));
                continue;
            }

            members.Add(member);
        }

        if (members.Count > MaxMembers)
        {
            diagnostics.Add(DiagnosticInfo.Create(Diagnostics.TooManyMembersId, syntax.Identifier.GetLocation(), type.Name, members.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        ModelSpec? model = diagnostics.Count > 0 ? null : new ModelSpec(
            type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString(),
            type.Name,
            Keyword(type),
            type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat).Replace("global::", string.Empty),
            new EquatableArray<MemberSpec>(members.ToImmutable()));
        return new ParseResult(model, new EquatableArray<DiagnosticInfo>(diagnostics.ToImmutable()));
    }

    private static string Keyword(INamedTypeSymbol type) => (type.IsRecord, type.TypeKind == TypeKind.Struct, type.IsReadOnly) switch
    {
        (true, true, true) => "readonly partial record struct",
        (true, true, false) => "partial record struct",
        (true, false, _) => "partial record",
        (false, true, true) => "readonly partial struct",
        (false, true, false) => "partial struct",
        _ => "partial class",
    };

    private static MemberSpec? ParseMember(IPropertySymbol property)
    {
        ITypeSymbol type = property.Type;
        bool nullableValueType = false;
        bool optional = false;
        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
        {
            type = nullable.TypeArguments[0];
            nullableValueType = true;
            optional = true;
        }
        else if (type.IsReferenceType && property.NullableAnnotation == NullableAnnotation.Annotated)
        {
            optional = true;
        }

        bool isArray = false;
        if (type is IArrayTypeSymbol { Rank: 1 } array)
        {
            if (nullableValueType)
            {
                return null;
            }

            type = array.ElementType;
            isArray = true;
        }

        ValueKind? kind = Classify(type);
        if (kind is null || (isArray && type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T }))
        {
            return null;
        }

        string jsonName = property.GetAttributes()
            .FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == MemberAttribute)?
            .ConstructorArguments.FirstOrDefault().Value as string ?? CamelCase(property.Name);
        bool intern = kind == ValueKind.String && property.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == InternAttribute);

        return new MemberSpec(
            property.Name,
            jsonName,
            kind.Value,
            type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
            isArray,
            property.IsRequired,
            optional,
            nullableValueType,
            intern,
            type.IsReferenceType);
    }

    private static ValueKind? Classify(ITypeSymbol type)
    {
        switch (type.SpecialType)
        {
            case SpecialType.System_String: return ValueKind.String;
            case SpecialType.System_Boolean: return ValueKind.Boolean;
            case SpecialType.System_Int32: return ValueKind.Int32;
            case SpecialType.System_Int64: return ValueKind.Int64;
            case SpecialType.System_Double: return ValueKind.Double;
        }

        if (type is not INamedTypeSymbol named || named.IsGenericType && named.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T)
        {
            return null;
        }

        // Another model gets its IJsonValue implementation from this same generator, so the interface
        // is not visible yet: the attribute is what counts.
        bool isModel = named.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == ModelAttribute);
        bool isValue = named.AllInterfaces.Any(i =>
            i.OriginalDefinition.ToDisplayString() == "Perf.Invoker.Json.IJsonValue<TSelf>" &&
            SymbolEqualityComparer.Default.Equals(i.TypeArguments[0], named));
        return isModel || isValue ? ValueKind.JsonValue : null;
    }

    private static string CamelCase(string name) =>
        name.Length == 0 || char.IsLower(name[0]) ? name : char.ToLowerInvariant(name[0]) + name.Substring(1);
}

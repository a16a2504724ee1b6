using Perf.Invoker.Json;

namespace Perf.Invoker.Tests.Json;

[JsonModel]
public sealed partial class Gadget
{
    public required string Name { get; init; }

    public int? Size { get; init; }

    [JsonMember("is_on")]
    public bool IsOn { get; init; }

    public long[] Counts { get; init; } = [];

    public double Ratio { get; init; }

    public Piece? Piece { get; init; }
}

[JsonModel]
public readonly partial record struct Piece
{
    public double? Weight { get; init; }

    public Piece[]? Children { get; init; }
}

[Trait("Category", "Unit")]
public sealed class GeneratedModelShapeTests
{
    [Fact]
    public void Model_WithStructsArraysDoublesAndRecursion_RoundTrips()
    {
        const string json = """{"name":"g","size":3,"is_on":true,"counts":[1,-2,9223372036854775807],"ratio":0.1,"piece":{"weight":2.5,"children":[{},{"weight":-1E-07}]}}""";

        var gadget = JsonModel.Read<Gadget>(json);

        Assert.Equal(0.1, gadget.Ratio);
        Assert.Equal(long.MaxValue, gadget.Counts[2]);
        Assert.Equal(-1e-7, gadget.Piece!.Value.Children![1].Weight);
        Assert.Equal(json, JsonModel.ToJsonString(gadget));
    }

    [Fact]
    public void Model_WithEveryOptionalAbsent_WritesOnlyAlwaysWrittenMembers()
    {
        var gadget = JsonModel.Read<Gadget>("""{"name":"g"}""");

        Assert.Equal("""{"name":"g","is_on":false,"counts":[],"ratio":0}""", JsonModel.ToJsonString(gadget));
        Assert.Equal("{}", JsonModel.ToJsonString(new Piece()));
        Assert.Equal("""{"children":[]}""", JsonModel.ToJsonString(new Piece { Children = [] }));
    }

    [Fact]
    public void EscapedPropertyNames_AreMatched()
    {
        var gadget = JsonModel.Read<Gadget>("""{"n\u0061me":"g","is\u005fon":true}""");

        Assert.Equal("g", gadget.Name);
        Assert.True(gadget.IsOn);
    }

    [Fact]
    public void NonFiniteDouble_CannotBeWritten()
    {
        var gadget = new Gadget { Name = "g", Ratio = double.NaN };

        Assert.Throws<ArgumentOutOfRangeException>(() => JsonModel.ToJsonString(gadget));
    }
}

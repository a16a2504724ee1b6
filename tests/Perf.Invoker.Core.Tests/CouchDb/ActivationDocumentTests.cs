using Perf.Invoker.Buffers;
using Perf.Invoker.CouchDb;
using Perf.Invoker.Json;
using Perf.Invoker.Model;
using Perf.Invoker.Tests.Model;

namespace Perf.Invoker.Tests.CouchDb;

[Trait("Category", "Unit")]
public sealed class ActivationDocumentTests
{
    [Fact]
    public void WritingDocumentsIntoAGrownBuffer_AllocatesNothing()
    {
        ActivationRecord record = JsonModel.Read<ActivationRecord>(WireSamples.ActivationRecord);
        var buffer = new PooledBufferWriter();
        ActivationDocument.Write(buffer, record, 1754400000500);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            buffer.Reset();
            ActivationDocument.Write(buffer, record, 1754400000500);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void ANamespaceWithCharactersJsonEscapes_IsEscapedInTheId()
    {
        ActivationRecord record = JsonModel.Read<ActivationRecord>(WireSamples.ActivationRecord);
        var odd = new ActivationRecord
        {
            Namespace = "a\"b",
            Name = record.Name,
            Subject = record.Subject,
            ActivationId = record.ActivationId,
            Start = record.Start,
            End = record.End,
            Response = record.Response,
            Version = record.Version,
        };
        var buffer = new PooledBufferWriter();

        ActivationDocument.Write(buffer, odd, 1);

        Assert.StartsWith($$"""{"_id":"a\"b/{{record.ActivationId}}","entityType":"activation","updated":1,"namespace":"a\"b",""", System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan));
    }
}

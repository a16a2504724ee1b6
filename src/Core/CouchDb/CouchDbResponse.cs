namespace Perf.Invoker.CouchDb;

/// <summary>One CouchDB answer: its status and its whole body (documents are small; an attachment is at most an action's code).</summary>
public readonly record struct CouchDbResponse(int StatusCode, byte[] Body)
{
    public bool IsSuccess => StatusCode is >= 200 and < 300;

    public bool IsNotFound => StatusCode == 404;
}

/// <summary>CouchDB could not be reached, or did not answer in time: a transport failure, not an answer.</summary>
public sealed class CouchDbUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

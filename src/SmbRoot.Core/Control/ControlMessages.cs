using SmbRoot.Core.Shutdown;

namespace SmbRoot.Core.Control;

/// <summary>A request from the <c>init</c> client to PID 1 over the control socket.</summary>
public abstract record ControlRequest
{
    public sealed record Status : ControlRequest;

    /// <param name="LoadNext">for a kexec: the final stage loads the kernel and initramfs named after the image the root's pointer names now</param>
    public sealed record Relinquish(ShutdownVerb Verb, TimeSpan Deadline, bool LoadNext = false) : ControlRequest;
}

/// <summary>
/// The control socket's wire format: one datagram per request, words separated by spaces
/// (<c>status</c>, <c>relinquish poweroff 90</c>); the answer is text for the console.
/// </summary>
public static class ControlMessages
{
    public const int MaxSize = 4096;

    public static string Encode(ControlRequest request) => request switch
    {
        ControlRequest.Status => "status",
        ControlRequest.Relinquish r => $"relinquish {r.Verb.Name()} {(int)r.Deadline.TotalSeconds}" + (r.LoadNext ? " next" : ""),
        _ => throw new ArgumentException("unknown request"),
    };

    /// <summary>
    /// What the client prints of an answer: only an answer of the kind it asked for (status
    /// begins "mode:", relinquish "relinquishing:", either may be "error:"), only printable
    /// characters, at most <see cref="MaxSize"/>. Null for anything else: something that is not
    /// SmbRoot's PID 1 answered, or answered garbage.
    /// </summary>
    public static string? CheckAnswer(ControlRequest request, string answer)
    {
        string expected = request is ControlRequest.Status ? "mode:" : "relinquishing:";
        if (answer.Length > MaxSize || !(answer.StartsWith(expected, StringComparison.Ordinal) || answer.StartsWith("error:", StringComparison.Ordinal))) return null;
        return answer.Any(c => char.IsControl(c) && c != '\n') ? null : answer;
    }

    /// <summary>Parses a request; null for anything else (the server answers with an error).</summary>
    public static ControlRequest? Decode(string text)
    {
        var words = text.Split(' ');
        return words switch
        {
            ["status"] => new ControlRequest.Status(),
            ["relinquish", var verb, var seconds] when ShutdownVerbs.Parse(verb) is { } v
                && int.TryParse(seconds, System.Globalization.NumberStyles.None, null, out int s) && s is > 0 and <= 3600
                => new ControlRequest.Relinquish(v, TimeSpan.FromSeconds(s)),
            ["relinquish", "kexec", var seconds, "next"]
                when int.TryParse(seconds, System.Globalization.NumberStyles.None, null, out int s) && s is > 0 and <= 3600
                => new ControlRequest.Relinquish(ShutdownVerb.Kexec, TimeSpan.FromSeconds(s), LoadNext: true),
            _ => null,
        };
    }
}

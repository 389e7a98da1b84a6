namespace SmbRoot.Boot;

/// <summary>
/// One step of the boot, as data: what it does, how to undo it, and whether trying again can help.
/// Shutdown is the boot's undo, in reverse.
/// </summary>
public interface IBootStep
{
    /// <summary>A short name for the console: "network", "share", ...</summary>
    string Name { get; }

    /// <summary>Whether the step can succeed on a later try (a server that comes up, a cable plugged in).</summary>
    bool Retryable { get; }

    void Run(BootContext context);

    void Undo(BootContext context);
}

/// <summary>A step failed: what happened, and what the person at the console should check.</summary>
public sealed class BootException(string message, string check, bool permanent = false, Exception? inner = null)
    : Exception(message, inner)
{
    public string Check { get; } = check;

    /// <summary>Trying again cannot help (a missing init in the image, say); go straight to the fallback.</summary>
    public bool Permanent { get; } = permanent;
}

namespace SmbRoot.Boot;

/// <summary>A step failed: what happened, and what the person at the console should check.</summary>
public sealed class BootException(string message, string check, bool permanent = false, Exception? inner = null)
    : Exception(message, inner)
{
    public string Check { get; } = check;

    /// <summary>Trying again cannot help (a missing init in the image, say); go straight to the fallback.</summary>
    public bool Permanent { get; } = permanent;
}

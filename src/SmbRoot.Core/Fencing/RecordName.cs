namespace SmbRoot.Core.Fencing;

/// <summary>
/// What a holder does when its record's name on the server no longer names the file it holds open
/// (an administrator deleted the record, or put another file in its place). A waiting machine
/// would read a missing record as "no machine has held it", so the holder writes its record there
/// again. Another file at the name may be another machine's claim; the holder cannot read it
/// through that name while it holds the old file open (its client binds the name to the file it
/// holds), so it stops writing rather than guess.
/// </summary>
public static class RecordName
{
    /// <summary>What the record's name names on the server now (a listing of its directory says).</summary>
    public enum Named { TheFileHeld, NoFile, AnotherFile }

    public abstract record Decision
    {
        /// <summary>The name still names the open file: renew through it.</summary>
        public sealed record Keep : Decision;

        /// <summary>Write this boot's record at the name again, and hold that file from now on.</summary>
        public sealed record WriteAgain(string Why) : Decision;

        public sealed record Lost(string Why) : Decision;
    }

    public static Decision Decide(Named named) => named switch
    {
        Named.TheFileHeld => new Decision.Keep(),
        Named.NoFile => new Decision.WriteAgain("the holder record was deleted on the server; this machine's record is written again"),
        _ => new Decision.Lost("the holder record's name now names another file (another machine's claim, or a file put there by hand)"),
    };
}

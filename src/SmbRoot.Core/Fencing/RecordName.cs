namespace SmbRoot.Core.Fencing;

/// <summary>
/// What a holder does when its record's name on the server no longer names the file it holds open
/// (an administrator deleted the record, or put another file in its place). A waiting machine
/// would read the name as "no machine has held it", so the holder writes its record there again,
/// unless another boot's claim stands there: then that machine has taken the image.
/// </summary>
public static class RecordName
{
    public abstract record Decision
    {
        /// <summary>The name still names the open file: renew through it.</summary>
        public sealed record Keep : Decision;

        /// <summary>Write this boot's record at the name again, and hold that file from now on.</summary>
        public sealed record WriteAgain(string Why) : Decision;

        public sealed record Lost(string Why) : Decision;
    }

    /// <param name="sameFile">whether the name names the file this holder has open</param>
    /// <param name="atName">what the file at the name holds (Empty when the name is gone)</param>
    public static Decision Decide(bool sameFile, HolderRecord.Reading atName, string bootId) => (sameFile, atName) switch
    {
        (true, _) => new Decision.Keep(),
        (false, HolderRecord.Reading.Valid { Record: { Released: false } other }) when other.BootId != bootId =>
            new Decision.Lost($"the holder record was replaced by one that names {other.Describe()}: that machine has taken the image"),
        (false, HolderRecord.Reading.Empty) => new Decision.WriteAgain("the holder record was deleted or emptied on the server; this machine's record is written again"),
        _ => new Decision.WriteAgain("the holder record's name now names another file; this machine's record is written again"),
    };
}

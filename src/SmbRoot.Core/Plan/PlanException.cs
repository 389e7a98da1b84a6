namespace SmbRoot.Core.Plan;

/// <summary>Bad input: names the key or file, says what was found and what was expected.</summary>
public sealed class PlanException(string message) : Exception(message);

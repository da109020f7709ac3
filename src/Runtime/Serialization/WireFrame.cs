namespace Hpf.Cluster.Runtime.Serialization;

/// <summary>
/// Layout of a framed message (call requests and responses): <c>int32 headLength</c>, the head (every value
/// encoded in order, large primitive arrays by their length only), then the tail: the raw bytes of each large
/// array, in the order the head names them. A receiver decodes the head first and can then read each array's
/// bytes from the stream straight into the array, and a sender can write arrays to the stream as they are.
/// </summary>
internal static class WireFrame
{
    /// <summary>
    /// Primitive arrays of at least this many bytes go to the tail; smaller ones stay in the head, where a copy
    /// costs less than a separate read or write. Both ends must use the same value (it is part of the format).
    /// </summary>
    public const int LargeArrayBytes = 64 * 1024;

    public const int HeadLengthBytes = sizeof(int);
}

namespace Hpf.Cluster.Runtime.Transport;

/// <summary>The sender of a segmented message gave up on it part-way (its call was cancelled while being sent).</summary>
internal sealed class MessageAbortedException() : IOException("The sender aborted the message before its end.");

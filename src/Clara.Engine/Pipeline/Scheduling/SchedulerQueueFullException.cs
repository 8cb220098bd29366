namespace Clara.Engine.Pipeline.Scheduling;

/// <summary>A request was refused because the scheduler's queue held <see cref="Capacity"/> waiting requests.</summary>
public sealed class SchedulerQueueFullException(int capacity)
    : InvalidOperationException($"the model's request queue is full ({capacity} requests waiting); retry later or raise SchedulerOptions.QueueCapacity")
{
    public int Capacity { get; } = capacity;
}

"""The numerical model of a network graph: the passes (forward, backward, update), training,
and the backends that run each primitive's float64 or bit-true arithmetic. Importing the
package imports nothing: use its modules."""

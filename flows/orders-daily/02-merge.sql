-- Upsert the staged orders; re-running the same day changes nothing.
merge into orders as target
using orders_stage as source
on target.order_id = source.order_id
when matched then update set amount = source.amount, ordered_at = source.ordered_at
when not matched then insert (order_id, customer_id, amount, ordered_at)
  values (source.order_id, source.customer_id, source.amount, source.ordered_at);

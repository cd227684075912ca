-- Stage the orders of the run's data interval [$interval_start, $interval_end) from the raw landing table: a retry
-- after midnight or a backfill loads the same orders as the scheduled run would have.
create or replace temporary table orders_stage as
select order_id, customer_id, amount, ordered_at
from raw.shop.orders
where ordered_at >= $interval_start::timestamp_tz and ordered_at < $interval_end::timestamp_tz;

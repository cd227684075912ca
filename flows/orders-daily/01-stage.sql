-- Stage yesterday's orders from the raw landing table.
create or replace temporary table orders_stage as
select order_id, customer_id, amount, ordered_at
from raw.shop.orders
where ordered_at >= dateadd(day, -1, current_date()) and ordered_at < current_date();

import { attr, expr, oneOf, WriteExpression } from "../../lambdas/adapters/write-expression";

describe("a write expression", () => {
  it("sets an attribute to a value through a placeholder for each", () => {
    expect(new WriteExpression().set("state", "RUNNING").build()).toEqual({
      UpdateExpression: "SET #n0 = :v0",
      ExpressionAttributeNames: { "#n0": "state" },
      ExpressionAttributeValues: { ":v0": "RUNNING" },
    });
  });

  it("names an attribute once however often it is used", () => {
    const built = new WriteExpression()
      .when(expr`${attr("attempt")} = ${1}`)
      .set("attempt", 2)
      .build();
    expect(built.ExpressionAttributeNames).toEqual({ "#n0": "attempt" });
  });

  it("gives every value its own placeholder, equal values too", () => {
    const built = new WriteExpression().set("deadline", "t").set("activeSk", "t").build();
    expect(built.ExpressionAttributeValues).toEqual({ ":v0": "t", ":v1": "t" });
  });

  it("reads a clause in DynamoDB's syntax, making names of attributes and values of the rest", () => {
    const built = new WriteExpression()
      .set(expr`${attr("history")} = list_append(${attr("history")}, ${[{ state: "RUNNING" }]})`)
      .build();
    expect(built).toEqual({
      UpdateExpression: "SET #n0 = list_append(#n0, :v0)",
      ExpressionAttributeNames: { "#n0": "history" },
      ExpressionAttributeValues: { ":v0": [{ state: "RUNNING" }] },
    });
  });

  it("gives each value of a list for IN its own placeholder", () => {
    const built = new WriteExpression().when(expr`${attr("state")} IN (${oneOf(["PENDING", "RETRYING"])})`).build();
    expect(built.ConditionExpression).toBe("(#n0 IN (:v0, :v1))");
    expect(built.ExpressionAttributeValues).toEqual({ ":v0": "PENDING", ":v1": "RETRYING" });
  });

  it("requires every condition, each in its own brackets so an OR stays inside it", () => {
    const built = new WriteExpression()
      .when(expr`attribute_not_exists(${attr("taskArn")}) OR ${attr("taskArn")} = ${"arn"}`)
      .when(expr`${attr("attempt")} = ${1}`)
      .build();
    expect(built.ConditionExpression).toBe("(attribute_not_exists(#n0) OR #n0 = :v0) AND (#n1 = :v1)");
  });

  it("writes its SET clauses, then its REMOVE clause, in the order they were added", () => {
    const built = new WriteExpression().remove("settlement").set("state", "FAILED").set("endedAt", "t").build();
    expect(built.UpdateExpression).toBe("SET #n1 = :v0, #n2 = :v1 REMOVE #n0");
  });

  it("removes an attribute named twice once", () => {
    const built = new WriteExpression().remove("lastLaunchError", "taskArn").remove("lastLaunchError").build();
    expect(built.UpdateExpression).toBe("REMOVE #n0, #n1");
  });

  it("leaves out every part it has nothing for: DynamoDB refuses an empty expression or map", () => {
    expect(new WriteExpression().build()).toEqual({});
    expect(new WriteExpression().when(expr`attribute_not_exists(${attr("pk")})`).build()).toEqual({
      ConditionExpression: "(attribute_not_exists(#n0))",
      ExpressionAttributeNames: { "#n0": "pk" },
    });
  });
});

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Service registry: where solvers, resource providers and mediators say they can be reached.
/// @notice Discovery only: no deal reads it, so registering grants no power over anyone's funds.
interface IServiceRegistry {
    /// @notice The roles a service can announce.
    enum Role {
        Solver,
        ResourceProvider,
        Mediator,
        JobCreator
    }

    /// @notice `service` registered (or updated) `role` at `url`.
    event ServiceRegistered(address indexed service, Role indexed role, string url);
    /// @notice `service` withdrew `role`.
    event ServiceUnregistered(address indexed service, Role indexed role);

    /// @notice The URL is empty or longer than `MAX_URL_LENGTH`.
    error InvalidUrl();
    /// @notice The caller does not hold this role.
    error NotRegistered(address service, Role role);

    /// @notice Registers the caller for `role`, or updates its URL.
    /// @param role The role.
    /// @param url Where the service listens, e.g. "http://127.0.0.1:8080".
    function register(Role role, string calldata url) external;

    /// @notice Removes the caller from `role`.
    /// @param role The role.
    function unregister(Role role) external;

    /// @notice The URL of `service` for `role`.
    /// @param service The service's address.
    /// @param role The role.
    /// @return url Empty when not registered.
    function serviceUrl(address service, Role role) external view returns (string memory url);

    /// @notice Every service registered for `role`, with its URL.
    /// @param role The role.
    /// @return services Their addresses.
    /// @return urls Their URLs, in the same order.
    function servicesOf(Role role) external view returns (address[] memory services, string[] memory urls);
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Module registry: human names for module ids, each in its publisher's namespace, and the network-wide
/// block list.
/// @notice A module id is the sha2-256 digest of the module's manifest (its CIDv1 with the raw codec), so a
/// published version can never change under a user. A name says whose it is: `publishModule` binds
/// `name:version` in the namespace of `msg.sender`, so nobody can publish under another's namespace, and a bare
/// name (the network's own namespace, `address(0)`) is bound only by governance through `approveModule`. Users
/// write a published module as `<publisher address>/<name>:<version>`.
interface IModuleRegistry {
    /// @notice `publisher` bound `name:version` in its namespace to `moduleId`; publisher zero is governance
    /// approving the bare name `name:version`.
    event ModulePublished(address indexed publisher, string name, string version, bytes32 indexed moduleId);
    /// @notice Governance blocked or unblocked `moduleId` for every new deal.
    event ModuleBlockStatusChanged(bytes32 indexed moduleId, bool blocked, string reason);

    /// @notice `name:version` is already bound in `publisher`'s namespace; versions are immutable.
    error VersionExists(address publisher, string name, string version);
    /// @notice Names and versions are 1-64 bytes of [a-z0-9._-], starting with a letter or digit.
    error InvalidModuleName();
    /// @notice The module id is zero.
    error InvalidModuleId();
    /// @notice Governance blocked this module; no new deal may use it.
    error ModuleIsBlocked(bytes32 moduleId);

    /// @notice Binds `name:version` in the caller's namespace to `moduleId`, i.e. `<caller>/<name>:<version>`.
    /// @dev Costs one storage slot: the namespace is part of the key, so there is no name to own or to squat.
    /// @param name Module name, e.g. "cowsay".
    /// @param version Version tag, e.g. "v1".
    /// @param moduleId The manifest digest.
    function publishModule(string calldata name, string calldata version, bytes32 moduleId) external;

    /// @notice Governance only: binds the bare name `name:version` (the network's namespace) to `moduleId`.
    /// @param name Module name, e.g. "cowsay".
    /// @param version Version tag, e.g. "v2".
    /// @param moduleId The manifest digest.
    function approveModule(string calldata name, string calldata version, bytes32 moduleId) external;

    /// @notice Looks up a published module version in one namespace.
    /// @param publisher The namespace: the address that published it, or zero for names governance approved.
    /// @param name Module name.
    /// @param version Version tag.
    /// @return moduleId The manifest digest, zero when unknown.
    function resolveModule(address publisher, string calldata name, string calldata version) external view returns (bytes32 moduleId);

    /// @notice Governance only: blocks or unblocks a module for all new deals.
    /// @param moduleId The manifest digest.
    /// @param blocked True to block.
    /// @param reason Shown to users, e.g. "malware".
    function setModuleBlocked(bytes32 moduleId, bool blocked, string calldata reason) external;

    /// @notice Whether new deals refuse `moduleId`.
    /// @param moduleId The manifest digest.
    /// @return True when blocked.
    function isModuleBlocked(bytes32 moduleId) external view returns (bool);
}

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IServiceRegistry} from "../interfaces/IServiceRegistry.sol";

/// @title Service registry (see IServiceRegistry).
contract ServiceRegistry is IServiceRegistry {
    /// @notice Longest URL accepted, in bytes.
    uint256 public constant MAX_URL_LENGTH = 256;

    mapping(Role role => address[]) private _members;
    // One-based position in `_members[role]`, zero when absent, for O(1) removal.
    mapping(Role role => mapping(address service => uint256)) private _position;
    mapping(Role role => mapping(address service => string)) private _urls;

    /// @inheritdoc IServiceRegistry
    function register(Role role, string calldata url) external {
        if (bytes(url).length == 0 || bytes(url).length > MAX_URL_LENGTH) revert InvalidUrl();
        if (_position[role][msg.sender] == 0) {
            _members[role].push(msg.sender);
            _position[role][msg.sender] = _members[role].length;
        }
        _urls[role][msg.sender] = url;
        emit ServiceRegistered(msg.sender, role, url);
    }

    /// @inheritdoc IServiceRegistry
    function unregister(Role role) external {
        uint256 position = _position[role][msg.sender];
        if (position == 0) revert NotRegistered(msg.sender, role);
        address[] storage members = _members[role];
        address last = members[members.length - 1];
        members[position - 1] = last;
        _position[role][last] = position;
        members.pop();
        delete _position[role][msg.sender];
        delete _urls[role][msg.sender];
        emit ServiceUnregistered(msg.sender, role);
    }

    /// @inheritdoc IServiceRegistry
    function serviceUrl(address service, Role role) external view returns (string memory) {
        return _urls[role][service];
    }

    /// @inheritdoc IServiceRegistry
    function servicesOf(Role role) external view returns (address[] memory services, string[] memory urls) {
        services = _members[role];
        urls = new string[](services.length);
        for (uint256 i; i < services.length; ++i) {
            urls[i] = _urls[role][services[i]];
        }
    }
}
